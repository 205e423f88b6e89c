"""Why a scoring run failed, in a few plain words: a small vocabulary, in English and 中文.

A failed run request keeps only the kind; the exception itself (with its SQL, parameters and
traceback) goes to the server's log, where an operator looks for it.
"""

from __future__ import annotations

import numpy as np

from tenure.analytics.clv.base import ConvergenceError
from tenure.kit.errors import InvalidInput, TenureError
from tenure.storage.errors import is_busy, is_out_of_space

STORE_BUSY = "store_busy"
OUT_OF_DISK = "out_of_disk"
MODEL_FAILED = "model_failed"
BAD_SETTINGS = "bad_settings"
UNEXPECTED = "unexpected"
WORKER_LOST = "worker_lost"

REASONS: dict[str, dict[str, str]] = {
    STORE_BUSY: {
        "en": "The store stayed busy with other writes for too long, so the run's results "
        "could not be saved. Nothing was changed; start the run again.",
        "zh": "数据库长时间忙于其他写入，评分结果未能保存。数据没有任何改动，请重新开始评分。",
    },
    OUT_OF_DISK: {
        "en": "The disk is full: the run's results could not be written. Free some space, "
        "then start the run again.",
        "zh": "磁盘已满，评分结果无法写入。请清理出空间后重新开始评分。",
    },
    MODEL_FAILED: {
        "en": "A model could not be fitted to the data as of this day (too few customers or "
        "purchases, or values it cannot use). Try a later day or check the imported data.",
        "zh": "无法用这一天的数据拟合模型（客户或购买太少，或有无法使用的数值）。"
        "请换一个较晚的日期，或检查导入的数据。",
    },
    BAD_SETTINGS: {
        "en": "A setting or a saved segment's filter could not be used (the server's log names "
        "it). Correct it on the Settings or Segments page, then start the run again.",
        "zh": "某项设置或已保存分群的筛选条件无法使用（服务器日志中有具体说明）。"
        "请在“设置”或“分群”页面更正后重新开始评分。",
    },
    WORKER_LOST: {
        "en": "The worker running this run stopped (it was killed or its machine went away) "
        "several times in a row, so the run was given up. The worker's log says why; start "
        "the run again once it is fixed.",
        "zh": "执行这次评分的后台进程多次中途停止（被终止或所在机器离线），评分已放弃。"
        "请查看后台进程的日志找出原因，修复后重新开始评分。",
    },
    UNEXPECTED: {
        "en": "The run stopped on an unexpected error. The details are in the server's log.",
        "zh": "评分因意外错误而中止，详细信息已记入服务器日志。",
    },
}


def classify(exc: BaseException) -> str:
    """Return the kind of failure ``exc`` is: one of ``REASONS``' keys."""
    if is_out_of_space(exc):
        return OUT_OF_DISK
    if is_busy(exc):
        return STORE_BUSY
    # the models refuse data they cannot use as InvalidInput (a column out of range)
    if isinstance(exc, ConvergenceError | InvalidInput | np.linalg.LinAlgError):
        return MODEL_FAILED
    if isinstance(exc, TenureError):  # our own refusal of a setting (configuration, not found)
        return BAD_SETTINGS
    return UNEXPECTED


def reason(kind: str | None) -> dict[str, str] | None:
    """Return the plain words for a failure kind in each language (None for no failure).

    Anything else kept as an error (a request that failed before kinds existed kept the raw
    exception) reads as an unexpected error.
    """
    if kind is None:
        return None
    return REASONS.get(kind, REASONS[UNEXPECTED])
