"""Evaluation-sequence generator: synthetic people with exact absolute 3D ground truth (dev tool, ROS-free).

Anny bodies (varied phenotypes) driven by DeepMimic motion clips from pybullet_data (retargeted) and by scripted
straight walks, rasterised on the CPU over ray-cast real photos through known cameras (field of view, height,
tilt, optional barrel distortion).  Needs the eval venv (``scripts/setup_eval.sh``); reading a generated
sequence (``sequence.load_sequence``) needs only numpy and OpenCV.

    .venv-eval/bin/python -m pose3d_ros.evalgen OUT_DIR --seed 3 --people 3 --frames 40

Modules: ``motion`` (clips, FK), ``body`` (Anny + retargeting + keypoints), ``raster`` (camera, rasteriser,
background), ``scene`` (sampling, frame loop), ``sequence`` (on-disk format and reader).
"""
