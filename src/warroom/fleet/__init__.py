"""Fleet (AVL): GPS tracking of public-service vehicles.

`warroom.fleet.protocols` turns what trackers send into typed records and the replies the
devices expect; `warroom.fleet.cli` is the `warroom fleet` command.
"""
