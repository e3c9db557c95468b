"""Objects for users: put and get through a node and a piece getter, and the HTTP gateway."""
