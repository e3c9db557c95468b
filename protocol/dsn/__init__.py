"""The distributed storage network: Kademlia keys and distance, and the cache policy of piece caches."""
