"""`warroom fleet`: tools for people setting up and debugging trackers.

`decode PROTOCOL MESSAGE...` prints one JSON object per record. Binary protocols take hex
(spaces allowed) and go through the protocol's framer, so a capture holding several frames
decodes in order and a cut-off frame is reported; text protocols take one message per
argument. All messages share one `Session`, so `decode gt06 LOGIN POSITION` shows the
position with the device id from the login, as on a real connection.

Bad input is one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Annotated, NoReturn

import typer

from warroom.fleet.protocols import PROTOCOLS, Decoded, DecodeError, ProtocolSpec, Session
from warroom.fleet.simulate_cli import register_simulate

EXIT_BAD_INPUT = 2

fleet_app = typer.Typer(
    help="Vehicle tracking (AVL): trackers and their protocols.", no_args_is_help=True
)


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def _spec(name: str) -> ProtocolSpec:
    spec = PROTOCOLS.get(name.lower())
    if spec is None:
        _fail(f"unknown protocol {name!r}; known: {', '.join(sorted(PROTOCOLS))}")
    return spec


def _hex(text: str) -> bytes:
    cleaned = "".join(text.split()).removeprefix("0x")
    try:
        return bytes.fromhex(cleaned)
    except ValueError:
        _fail(f"message is not hex: {text[:60]!r}")


def _frames(spec: ProtocolSpec, data: bytes) -> Iterator[bytes]:
    """Cut a binary capture with the protocol's own framer; leftovers are errors here."""
    if spec.framer is None:
        yield data
        return
    framer = spec.framer()
    yield from framer.feed(data)
    if framer.discarded:
        raise DecodeError(f"{framer.discarded} bytes are not part of any {spec.name} frame")
    if framer.buffered:
        raise DecodeError(
            f"truncated frame: {framer.buffered} bytes left without a complete {spec.name} frame"
        )


def _decoded(spec: ProtocolSpec, messages: list[str], udp: bool) -> Iterator[Decoded]:
    session = Session()
    decode = (spec.decode_datagram or spec.decode) if udp else spec.decode
    for message in messages:
        if not spec.binary:
            yield decode(message.encode(), session)
        elif udp:
            yield decode(_hex(message), session)
        else:
            for frame in _frames(spec, _hex(message)):
                yield decode(frame, session)


@fleet_app.command("decode")
def decode_command(
    protocol: Annotated[str, typer.Argument(help="Protocol name; see `warroom fleet protocols`")],
    messages: Annotated[list[str], typer.Argument(help="Message(s): hex for binary protocols")],
    udp: Annotated[bool, typer.Option("--udp", help="Decode as UDP datagrams")] = False,
) -> None:
    """Decode tracker messages into JSON lines (records and the reply the device expects)."""
    spec = _spec(protocol)
    if udp and "udp" not in spec.transports:
        _fail(f"{spec.name} has no UDP transport")
    count = 0
    try:
        for decoded in _decoded(spec, messages, udp):
            for line in decoded.to_json_lines():
                sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
                count += 1
    except DecodeError as exc:
        _fail(str(exc))
    if count == 0:
        typer.echo("note: the message is valid but carries no record", err=True)


@fleet_app.command("protocols")
def protocols_command() -> None:
    """List the supported protocols with their default ports and transports."""
    for spec in PROTOCOLS.values():
        transports = "/".join(spec.transports)
        typer.echo(f"{spec.name:<10} {spec.port:>5} {transports:<9} {spec.description}")


register_simulate(fleet_app)
