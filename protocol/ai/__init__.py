"""AI3.0 on the network (pure logic): the open AI directory, data valuation, proof-of-training orders."""
