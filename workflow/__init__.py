"""The grant domain: the lifecycle engine, its guards and effects, money rules and the clock."""
