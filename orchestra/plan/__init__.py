"""Plans: the operations that bring the engine to the desired state (ops), and their planners."""
