"""The CJK font every printed document embeds (the inspection report, the reference-price notice).

A PDF without an embedded CJK font prints boxes instead of Chinese, so printing refuses (503) and names
the package to install rather than produce one.
"""

from __future__ import annotations

from pathlib import Path

from car_enforce.core.errors import Unavailable
from car_enforce.core.settings import get_settings

FONT_PACKAGE = "fonts-wqy-microhei"
# Where Debian, Ubuntu and Fedora put CJK fonts; (path, face in a collection). Noto's face 2 is Simplified
# Chinese; the others have one face.
KNOWN_FONTS: tuple[tuple[Path, int], ...] = (
    (Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"), 0),
    (Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"), 2),
    (Path("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc"), 2),
    (Path("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc"), 2),
    (Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"), 0),
    (Path("/usr/share/fonts/truetype/droid/DroidSansFallback.ttf"), 0),
)


class ReportFontMissing(Unavailable):
    """No CJK font to embed: a PDF without one would print boxes instead of Chinese."""


def report_font() -> tuple[Path, int]:
    """The CJK font to embed (path, face); ReportFontMissing (503) naming the package to install."""
    configured = get_settings().report_font_path
    if configured is not None:
        if not Path(configured).is_file():
            raise ReportFontMissing(
                f"the report font {configured} (CARENFORCE_REPORT_FONT_PATH) does not exist; "
                f"point it at a CJK font or install the Debian package {FONT_PACKAGE}",
                zh=f"报告字体 {configured}（CARENFORCE_REPORT_FONT_PATH）不存在；请指向一个中文字体，"
                f"或安装 Debian 软件包 {FONT_PACKAGE}",
            )
        return Path(configured), 0
    for path, face in KNOWN_FONTS:
        if path.is_file():
            return path, face
    raise ReportFontMissing(
        "no CJK font is installed to print the report; install the Debian package "
        f"{FONT_PACKAGE} (apt-get install {FONT_PACKAGE}) or set CARENFORCE_REPORT_FONT_PATH",
        zh=f"本机没有可用于打印报告的中文字体；请安装 Debian 软件包 {FONT_PACKAGE}"
        f"（apt-get install {FONT_PACKAGE}），或设置 CARENFORCE_REPORT_FONT_PATH",
    )
