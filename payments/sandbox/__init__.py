"""The sandbox wallet: a stand-in for a phone wallet, so a purchase can be paid end to
end with no outside service.

- ``provider``: the glue that answers the sandbox provider's query and refund calls
  from the wallet's record (the protocol itself is ``payments.providers.sandbox``);
- ``wallet``: the wallet's record of what it paid and refunded;
- ``views``/``urls``: the wallet's pay page;
- ``notifier`` and ``tasks``: delivering its signed notifications to our callback.
"""
