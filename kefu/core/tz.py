"""The one time zone kefu works in: network points are in mainland China.

Times are stored in UTC and shown, counted in days and in business hours in
Asia/Shanghai (UTC+8 all year since 1991: no daylight saving time).
"""

from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
