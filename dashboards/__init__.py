"""Panel apps for producers; ``producer.py`` is the served app, ``pages/`` its pages."""
