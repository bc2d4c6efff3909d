"""Model-level FRONT / BoT transfer: grouping of repeated blocks, depth mapping,
rescaling, checkpoint reading and writing, and the report.

Drive it whole (:func:`transfer`) or group by group: :func:`prepare` gives the
plan, and :func:`transfer_group` turns one group's source tensors into its
target tensors.
"""
from .api import execute_plan, prepare, transfer, transfer_report
from .group import transfer_group
from .loading import TensorStore, open_tensors
from .options import BotOptions, FrontOptions
from .plan import GroupPlan, TransferPlan, plan_transfer
from .report import TransferReport

__all__ = ["transfer", "transfer_report", "transfer_group", "prepare", "execute_plan", "plan_transfer",
           "FrontOptions", "BotOptions", "TransferPlan", "GroupPlan", "TransferReport", "TensorStore",
           "open_tensors"]
