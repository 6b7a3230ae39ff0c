"""Network listeners feeding tracker messages into the pipeline: TCP, UDP, HTTP and MQTT."""
