"""Direct tests of numerics/quantities.py answering its mutation survivors (target num-quantities).

Expected values come from closed forms or hand computation, never from the code under test.
"""
