"""Teaching: the lesson, the Playground and the class session."""
