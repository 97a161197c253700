"""The test suite, a package so that its helpers import as `tests.support.<module>` without sys.path."""
