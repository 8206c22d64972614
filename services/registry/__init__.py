"""registry: regions, institutions (WKSBM, Karang Taruna, Pokja, LKS…), formation, regulations, workers."""
