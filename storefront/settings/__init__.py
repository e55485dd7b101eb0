"""Settings split by environment: ``local`` (default), ``test`` and ``production``.

Every value comes from an environment variable with a safe development default
(twelve-factor); see ``base.py`` for the list.
"""
