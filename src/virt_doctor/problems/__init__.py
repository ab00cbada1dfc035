"""Problems: the findings of one scan grouped by the broken object that explains them (DESIGN.md, Problems)."""

from virt_doctor.problems.grouping import group_problems

__all__ = ["group_problems"]
