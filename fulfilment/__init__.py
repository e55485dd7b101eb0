"""Shipments per cooperative, tracking events, notifications and packing slips."""
