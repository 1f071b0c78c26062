"""flask-smorest blueprints: thin HTTP over the services."""
