"""CARESTER 112: emergency calls, incidents, units and dispatch by road travel time."""
