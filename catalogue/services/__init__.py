"""Services: the business and permission rules, identity first."""
