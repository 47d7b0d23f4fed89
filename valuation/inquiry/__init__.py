"""The online price inquiry (网络询价): the platforms a court asks, and (to come) the requests and reports."""
