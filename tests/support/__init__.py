"""Helpers only the tests use (server predictors, checkpoints, script runners), imported as `tests.support.<module>`."""
