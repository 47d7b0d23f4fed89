"""A police unit's GA/T 1400 account, and the answers of a 视图库 server in the standard's shapes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from car_enforce.sightings.viid.codes import ColourTable


class ViidAccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Devices are configured with it by hand and send it inside a quoted Digest parameter: plain ASCII
    # without quotes or colons (a colon would make ``username:realm:password`` ambiguous).
    username: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9._@-]+$",
        description="The Digest user name configured in the device or its platform (not its device id)",
    )
    colour_table: ColourTable = Field(
        default="gat1400",
        description='Which PlateColor codes the devices send: "gat1400" (1 black, 2 white, 5 blue, 6 yellow, '
        '9 green, 99 other) or "traffic" (0 white, 1 yellow, 2 blue, 3 black, 4 green)',
    )


class ViidAccountOut(BaseModel):
    id: int
    username: str
    realm: str
    colour_table: str
    organisation_id: int
    api_key_prefix: str = Field(description="The key whose secret is the Digest password")
    created_at: datetime


class ResponseStatus(BaseModel):
    """GA/T 1400.3 应答状态对象 (ResponseStatusObject)."""

    RequestURL: str
    StatusCode: int = Field(description="0 OK; 4 Invalid Operation; 7/8 Invalid JSON Format/Content …")
    StatusString: str
    Id: str
    LocalTime: str = Field(description="YYYYMMDDhhmmss, Beijing time")


class ResponseStatusAnswer(BaseModel):
    ResponseStatusObject: ResponseStatus


class ResponseStatusList(BaseModel):
    ResponseStatusObject: list[ResponseStatus]


class ResponseStatusListAnswer(BaseModel):
    ResponseStatusListObject: ResponseStatusList


class SystemTime(BaseModel):
    """GA/T 1400.3 校时对象 (SystemTimeObject)."""

    VIIDServerID: str
    TimeMode: str = Field(description="1: network time")
    LocalTime: str = Field(description="YYYYMMDDhhmmss, Beijing time")


class SystemTimeAnswer(BaseModel):
    SystemTimeObject: SystemTime
