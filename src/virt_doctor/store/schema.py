"""The tables, as SQLAlchemy 2 models; migrations/ creates and changes them (Alembic), never create_all."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Incident(Base):
    """One alert instance over its life: opened firing, updated by repeats, closed when resolved."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)  # Alertmanager's fingerprint, or vd:<finding id>
    origin: Mapped[str] = mapped_column(String(20))  # alertmanager | virt-doctor
    alertname: Mapped[str] = mapped_column(String(200), index=True)
    state: Mapped[str] = mapped_column(String(20), index=True)  # firing | resolved
    severity: Mapped[str] = mapped_column(String(20), default="")
    health_impact: Mapped[str] = mapped_column(String(20), default="")  # operator_health_impact
    namespace: Mapped[str] = mapped_column(String(253), default="")
    component: Mapped[str] = mapped_column(String(100), default="")
    subject: Mapped[str] = mapped_column(String(600), default="")  # Kind/ns/name of the finding
    labels: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    has_runbook: Mapped[bool] = mapped_column(Boolean, default=True)
    verdict: Mapped[str] = mapped_column(String(20), default="")  # the newest diagnosis' (Diagnosis.verdict)
    note: Mapped[str] = mapped_column(Text, default="")  # why, when the verdict names no cause
    cause_id: Mapped[str] = mapped_column(String(120), default="")
    cause_title: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[str] = mapped_column(String(20), default="")
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    notifications: Mapped[int] = mapped_column(Integer, default=0)
    finding_id: Mapped[str] = mapped_column(String(40), default="", index=True)  # the finding it is, when one holds
    alias: Mapped[str] = mapped_column(String(200), default="", index=True)  # Alertmanager's fingerprint, when its
    # alert joined an incident virt-doctor had opened for the same instance
    problem_key: Mapped[str] = mapped_column(String(40), default="", index=True)  # the problem it belongs to
    # an Alertmanager incident nothing resolves closes then: the alert's own endsAt, else its last notification
    # plus the time Alertmanager would have repeated it by (its webhook sends firing alerts without their endsAt)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    diagnoses: Mapped[list[Diagnosis]] = relationship(back_populates="incident", cascade="all, delete-orphan",
                                                      order_by="Diagnosis.id")


class ProblemRow(Base):
    """A problem over its life (the report contract's problem): opened, joined by alerts, cleared; and what the
    chat webhook has been told of it, so a storm is one message."""

    __tablename__ = "problems"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)  # the problem's id
    title: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20), index=True)  # firing | resolved
    root: Mapped[str] = mapped_column(String(600))  # Kind/ns/name
    cause: Mapped[str] = mapped_column(String(120))
    findings: Mapped[list[str]] = mapped_column(JSON, default=list)  # its finding ids now
    alerts: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # finding id -> alert name
    notified: Mapped[list[str]] = mapped_column(JSON, default=list)  # finding ids a message has named
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Diagnosis(Base):
    """What virt-doctor concluded about an incident at one time; a new row only when the conclusion changed."""

    __tablename__ = "diagnoses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    verdict: Mapped[str] = mapped_column(String(20))  # holds | not-holding | not-evaluated | no-runbook | resolved
    cause_id: Mapped[str] = mapped_column(String(120), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    finding: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # the report contract's finding

    incident: Mapped[Incident] = relationship(back_populates="diagnoses")


class Notification(Base):
    """A webhook notification exactly as received, kept so nothing acknowledged is ever lost."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    receiver: Mapped[str] = mapped_column(String(200), default="")
    group_key: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20))
    alerts: Mapped[int] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


Index("ix_incidents_state_updated", Incident.state, Incident.updated_at)


class AuditEntry(Base):
    """One remediation previewed or applied (`virt-doctor fix`): who, what, when, the request, the answer."""

    __tablename__ = "audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    who: Mapped[str] = mapped_column(String(300))
    mode: Mapped[str] = mapped_column(String(20))  # preview | apply | refused
    finding_id: Mapped[str] = mapped_column(String(40), index=True)
    alert: Mapped[str] = mapped_column(String(200))
    step: Mapped[str] = mapped_column(String(120))
    target: Mapped[str] = mapped_column(String(600))  # Kind/ns/name
    request: Mapped[dict[str, Any]] = mapped_column(JSON)  # method, path, query, body (never a secret)
    status: Mapped[int] = mapped_column(Integer)  # the HTTP status answered (0: not sent)
    outcome: Mapped[str] = mapped_column(Text)
