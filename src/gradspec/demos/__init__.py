"""The classic teaching systems, done right (`gradspec demo NAME`)."""
