# Copyright 2026 pose3d_ros developers
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

"""
`MarkerArray` for RViz: per track a SPHERE_LIST (joints), LINE_LIST (bones) and TEXT (id).

Marker ids are stable per track, colours come from a hash of the track id, lifetimes follow the
frame period (a few frames: no blinking at the camera rate, no ghosts after a stall) and an ended
track gets an explicit DELETE of its three markers.
"""

from __future__ import annotations

from builtin_interfaces.msg import Duration
from geometry_msgs.msg import Point
import numpy as np
from pose3d_ros.core.skeletons import SkeletonDef
from pose3d_ros.tracking import TrackState
from pose3d_ros.visualize import id_colour_rgb
from std_msgs.msg import ColorRGBA
from visualization_msgs.msg import Marker, MarkerArray

NAMESPACES = ('joints', 'bones', 'label')


def track_colour(track_id: str) -> ColorRGBA:
    """
    Return a saturated colour that depends only on the id.

    The same as in the debug image and the demo video.
    """
    r, g, b = id_colour_rgb(track_id)
    return ColorRGBA(r=r / 255.0, g=g / 255.0, b=b / 255.0, a=1.0)


class MarkerBuilder:
    """Builds one MarkerArray per frame and remembers which tracks have markers to delete later."""

    def __init__(
        self,
        skeleton: SkeletonDef,
        lifetime_frames: float = 3.0,
        joint_diameter_m: float = 0.05,
        bone_width_m: float = 0.02,
        text_height_m: float = 0.15,
    ):
        self.skeleton = skeleton
        self.lifetime_frames = lifetime_frames
        self.joint_diameter_m = joint_diameter_m
        self.bone_width_m = bone_width_m
        self.text_height_m = text_height_m
        # track id -> base marker id (stable for the track's life)
        self._marker_ids: dict[str, int] = {}
        self._next_id = 0
        self._edges = np.asarray(skeleton.edges, np.int64).reshape(-1, 2)  # (E, 2)

    def lifetime(self, frame_period_s: float) -> Duration:
        seconds = float(np.clip(self.lifetime_frames * frame_period_s, 0.1, 2.0))
        return Duration(sec=int(seconds), nanosec=int((seconds % 1.0) * 1e9))

    def build(self, tracks, header, frame_period_s: float) -> MarkerArray:
        """Markers for this frame's tracks (LOST ones and vanished ones are deleted)."""
        out = MarkerArray()
        lifetime = self.lifetime(frame_period_s)
        alive = set()
        for track in tracks:
            if track.state == TrackState.LOST:
                continue
            alive.add(track.id)
            out.markers.extend(self._track_markers(track, header, lifetime))
        for track_id in [t for t in self._marker_ids if t not in alive]:
            out.markers.extend(self._delete(track_id, header))
        return out

    def _base_id(self, track_id: str) -> int:
        if track_id not in self._marker_ids:
            self._marker_ids[track_id] = self._next_id
            self._next_id += 1
        return self._marker_ids[track_id]

    def _marker(self, kind: int, ns: str, track_id: str, header, lifetime: Duration) -> Marker:
        m = Marker(header=header, ns=ns, id=self._base_id(track_id), type=kind, action=Marker.ADD)
        m.pose.orientation.w = 1.0
        m.lifetime = lifetime
        m.color = track_colour(track_id)
        m.frame_locked = False
        return m

    def _track_markers(self, track, header, lifetime: Duration) -> list[Marker]:
        joints = np.asarray(track.joints, np.float64)  # (J, 3) metres
        known = np.isfinite(joints).all(axis=1)  # (J,)
        spheres = self._marker(Marker.SPHERE_LIST, 'joints', track.id, header, lifetime)
        spheres.scale.x = spheres.scale.y = spheres.scale.z = self.joint_diameter_m
        spheres.points = [Point(x=x, y=y, z=z) for x, y, z in joints[known].tolist()]
        bones = self._marker(Marker.LINE_LIST, 'bones', track.id, header, lifetime)
        bones.scale.x = self.bone_width_m
        edges = self._edges[known[self._edges].all(axis=1)] if len(self._edges) else self._edges
        bones.points = [Point(x=x, y=y, z=z) for x, y, z in joints[edges.reshape(-1)].tolist()]
        label = self._marker(Marker.TEXT_VIEW_FACING, 'label', track.id, header, lifetime)
        label.scale.z = self.text_height_m
        label.text = f'id {track.id}'
        top = (
            joints[known][np.argmin(joints[known][:, 1])]
            if known.any()
            else np.asarray(track.root, np.float64)
        )
        # 25 cm above the head
        label.pose.position = Point(x=float(top[0]), y=float(top[1]) - 0.25, z=float(top[2]))
        return [spheres, bones, label]

    def _delete(self, track_id: str, header) -> list[Marker]:
        base = self._marker_ids.pop(track_id)
        return [Marker(header=header, ns=ns, id=base, action=Marker.DELETE) for ns in NAMESPACES]
