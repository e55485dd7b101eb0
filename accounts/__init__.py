"""Users, roles and the auth API."""
