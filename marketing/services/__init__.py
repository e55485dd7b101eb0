"""Marketing's writes and rules: vouchers (``vouchers``), campaigns and attribution
(``campaigns``), and the checkout plan that applies both (``checkout``)."""
