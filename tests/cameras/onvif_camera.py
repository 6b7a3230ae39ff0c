"""The ipycam virtual camera's ONVIF service on loopback, for tests.

ipycam's own ``IPCamera.start()`` listens on every interface and sends WS-Discovery multicast, so
only its ONVIF HTTP handler is served here, bound to 127.0.0.1, without discovery. Its SOAP
envelope template lacks the ``ptz``/``tptz`` namespace declarations its PTZ answers use
(GetStatus, SetPreset, GetPresets fail to parse); the fixture adds them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ipycam import CameraConfig, IPCamera
from ipycam.camera import ReusableThreadingTCPServer
from ipycam.http import IPCameraHTTPHandler

PTZ_NAMESPACES = (
    'xmlns:ptz="http://www.onvif.org/ver20/ptz/wsdl" '
    'xmlns:tptz="http://www.onvif.org/ver20/ptz/wsdl" '
    'xmlns:trt="http://www.onvif.org/ver10/media/wsdl"'
)


@dataclass
class VirtualCamera:
    camera: IPCamera
    url: str
    username: str
    password: str


@contextmanager
def virtual_camera(
    port: int, rtsp_port: int, username: str, password: str
) -> Iterator[VirtualCamera]:
    config = CameraConfig(
        name="Virtual PTZ",
        local_ip="127.0.0.1",
        onvif_port=port,
        rtsp_port=rtsp_port,
        main_width=640,
        main_height=360,
    )
    config.set_credentials(username, password)
    camera = IPCamera(config)
    envelope = camera.onvif._templates["envelope"]
    camera.onvif._templates["envelope"] = envelope.replace(
        'xmlns:trt="http://www.onvif.org/ver10/media/wsdl"', PTZ_NAMESPACES
    )
    IPCameraHTTPHandler.camera = camera
    server = ReusableThreadingTCPServer(("127.0.0.1", port), IPCameraHTTPHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield VirtualCamera(
            camera, f"http://127.0.0.1:{port}/onvif/device_service", username, password
        )
    finally:
        server.shutdown()
        server.server_close()
