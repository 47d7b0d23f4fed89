"""Built-in simulators of outside services, served by the platform itself so the demo is whole."""
