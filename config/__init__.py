"""Settings from the environment, and the programme files under config/programmes/."""
