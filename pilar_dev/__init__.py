"""Development and test code: the local stack (`pilar up`, `pilar demo`), the embedded MongoDB-wire server, the
mail catcher and the test helpers. The production image does not contain this package."""
