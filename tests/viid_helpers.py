"""GA/T 1400 records and devices, for the 视图库 parser's tests and its API tests."""

from __future__ import annotations

import base64
from typing import Any

DEVICE = "33032600001190000001"  # 平阳 330326, as the device that pushes

JPEG = b"\xff\xd8\xff\xe0" + bytes((i * 7) % 256 for i in range(3_000)) + b"\xff\xd9"


def record(number: int = 1, **fields: Any) -> dict[str, Any]:
    """One MotorVehicleObject as checkpoints send it: codes unpadded, numbers as strings."""
    base: dict[str, Any] = {
        "MotorVehicleID": f"{DEVICE}02202611230900000000{number}02{number:05d}",
        "InfoKind": 1,
        "SourceID": f"{DEVICE}02202611230900000000{number}",
        "DeviceID": DEVICE,
        "TollgateID": "33032600001210000001",
        "HasPlate": "1",
        "PlateClass": "2",
        "PlateColor": "5",
        "PlateNo": "浙C12345",
        "PlateReliability": "96",
        "PlateCharReliability": "浙-99,C-98,1-97,2-96,3-95,4-94,5-93",
        "PassTime": "20261123090000",
        "SubImageList": {
            "SubImageInfoObject": [
                {
                    "ImageID": f"{DEVICE}0220261123090000000{number}",
                    "Type": "1",
                    "FileFormat": "Jpeg",
                    "ShotTime": "20261123090000",
                    "Data": base64.b64encode(JPEG).decode(),
                },
                {"ImageID": "x", "Type": "2", "StoragePath": "http://10.1.2.3/pic/plate-1.jpg"},
            ]
        },
    }
    base.update(fields)
    return {key: value for key, value in base.items() if value is not None}
