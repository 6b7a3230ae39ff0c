"""CCTV: camera registry, ONVIF/PTZ, recording, tiered retention, live view and playback."""
