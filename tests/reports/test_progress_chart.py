"""The progress-over-time chart: drawn from the trajectory, described in words, the same bytes
for the same figures, and fit for a page whose Content-Security-Policy refuses inline styles."""

import struct
from datetime import date

from app.domain.progress import get_plan
from app.domain.trajectory import Trajectory, TrajectoryPoint, read_trajectory
from app.reports.charts import COMPLETED_LABEL, DUE_LABEL, trajectory_png, trajectory_svg


def test_the_demo_framework_s_chart_names_every_point_in_its_accessible_name(session):
    plan = get_plan(session=session, slug="reducing-offending-2015-18")
    trajectory = read_trajectory(session=session, plan=plan, as_at=date(2018, 3, 31))
    svg = trajectory_svg(trajectory)
    assert svg.startswith('<svg role="img" aria-label="Line chart of actions due and actions')
    last = trajectory.points[-1]
    assert f"{last.label}: {last.due} due, {last.completed} completed" in svg
    assert (last.due, last.completed_of_due) == (53, 42)  # the Panel's figures, as at the end
    for label in (DUE_LABEL, COMPLETED_LABEL):
        assert label in svg  # the legend is text, not a picture of text
    assert ' style="' not in svg and "<style" not in svg
    assert svg == trajectory_svg(
        read_trajectory(session=session, plan=plan, as_at=date(2018, 3, 31))
    )


def test_the_word_picture_is_a_real_png():
    points = (
        TrajectoryPoint(date(2019, 1, 1), "OMCDB, 1 January 2019", 3, 1, 1),
        TrajectoryPoint(date(2019, 4, 1), "OMCDB, 1 April 2019", 6, 5, 4),
    )
    png = trajectory_png(Trajectory(points=points, total=9, basis="meetings of the OMCDB"))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (1200, 675)


def test_no_points_no_chart():
    assert trajectory_svg(Trajectory(points=(), total=0, basis="quarter ends")) == ""
