# Repo-root conftest: makes `import app` work and loads the shared crowdfix stack fixtures.
pytest_plugins = ["tests.stack_fixtures"]
