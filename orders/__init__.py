"""Cart, checkout, orders, stock reservation and the order state machine."""
