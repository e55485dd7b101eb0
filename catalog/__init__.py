"""Counties, cooperatives, categories, products, variants, images, certifications, batches."""
