"""GA/T 1400 (公安视频图像信息应用系统, the "视图库"): the platform as a 视图库 server for checkpoints."""
