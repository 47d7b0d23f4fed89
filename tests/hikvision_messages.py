"""Hikvision ISAPI alerts (and two hostile XML documents), for the parser's tests and the adapter tests."""

from __future__ import annotations

from typing import Any

ISAPI = "http://www.isapi.org/ver20/XMLSchema"

PLATE_PICTURE = b"\xff\xd8\xff\xe0" + bytes(range(200)) + b"\xff\xd9"

SCENE_PICTURE = b"\xff\xd8\xff\xdb" + bytes(range(255, 0, -1)) * 4 + b"\xff\xd9"


def alert_xml(
    namespace: str | None = ISAPI,
    *,
    plate: str = "浙C12345",
    colour: str | None = "blue",
    confidence: str = "96",
    when: str = "2026-11-23T08:59:30+08:00",
    event: str = "ANPR",
    state: str = "active",
    ip: str = "192.168.1.64",
    channel_name: str = "Gate 3 north",
    extra: str = "",
) -> str:
    """The alert as text; ``extra`` is what Chinese firmware adds after ``picNum``."""
    xmlns = f' xmlns="{namespace}"' if namespace else ""
    colour_element = "" if colour is None else f"<plateColor>{colour}</plateColor>"
    return f"""<EventNotificationAlert version="2.0"{xmlns}>
<ipAddress>{ip}</ipAddress>
<ipv6Address>::</ipv6Address>
<portNo>80</portNo>
<protocol>HTTP</protocol>
<macAddress>44:19:B6:6D:24:85</macAddress>
<channelID>1</channelID>
<dateTime>{when}</dateTime>
<activePostCount>1</activePostCount>
<eventType>{event}</eventType>
<eventState>{state}</eventState>
<eventDescription>ANPR</eventDescription>
<channelName>{channel_name}</channelName>
<ANPR>
<country>3</country>
<licensePlate>{plate}</licensePlate>
<line>1</line>
<direction>forward</direction>
<confidenceLevel>{confidence}</confidenceLevel>
<plateType>92TypeCivil</plateType>
{colour_element}
<licenseBright>0</licenseBright>
<plateCharBelieve>99,99,98,99,61,97,99</plateCharBelieve>
<speedLimit>0</speedLimit>
<vehicleType>vehicle</vehicleType>
<pictureInfoList>
<pictureInfo><fileName>licensePlatePicture.jpg</fileName><type>licensePlatePicture</type></pictureInfo>
<pictureInfo><fileName>detectionPicture.jpg</fileName><type>detectionPicture</type></pictureInfo>
</pictureInfoList>
<originalLicensePlate>{plate}</originalLicensePlate>
<vehicleListName>otherList</vehicleListName>
</ANPR>
<UUID>3d1c2a4e-0000-0000-0000-4419b66d2485</UUID>
<picNum>2</picNum>
{extra}
</EventNotificationAlert>
"""


def alert(namespace: str | None = ISAPI, **fields: Any) -> bytes:
    """The alert as a camera sends it: UTF-8 with its declaration."""
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + alert_xml(namespace, **fields)).encode()


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
<EventNotificationAlert><eventType>ANPR</eventType><ANPR><licensePlate>&lol2;</licensePlate></ANPR>
</EventNotificationAlert>"""

EXTERNAL = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>
<EventNotificationAlert><eventType>ANPR</eventType></EventNotificationAlert>"""
