"""A screenshot of Import Video's result in a real Blender window: the rig over the footage, seen through the
footage camera. Run by Blender with a display (e.g. under Xvfb):

    blender --factory-startup -P scripts/screenshot_footage.py -- EXTENSION.zip VIDEO KEYPOINTS.json OUT.png [FRAME
        [PEOPLE]]

KEYPOINTS.json holds the video's detections (e.g. from ``uplift_batch.py VIDEO`` elsewhere); it is put where Import
Video looks for them, so this Blender needs no detector. Blender quits after writing OUT.png; with OUT ``-`` it
stays open for a screenshot taken from outside. docs/footage.jpg: Debian's Blender 5.2.2 (the `make blender` chroot
with xvfb, x11-apps and imagemagick added), user preferences saved once with the splash off, ``Xvfb :99 -screen 0
1600x1000x24``, this script with OUT ``-`` at frame 90 of PyPI sports2d's demo video, ``xwd -root`` after 25 s.
With PEOPLE above 1 the video is imported with that many people (KEYPOINTS.json then holds the detector's run for
several). With ``panel`` after PEOPLE (and Blender run with ``--enable-event-simulate``) the sidebar's Uplift tab is
open beside the camera view: docs/panel.jpg, frame 40 of pose2sim's ``Demo_MultiPerson/videos/cam01.mp4`` with
PEOPLE 3 and ``panel``, the same way (cropped to 1320 x 900).
"""

import shutil
import sys

import bpy

args = sys.argv[sys.argv.index("--") + 1 :]
zip_path, video, keypoints, out = args[:4]
frame = int(args[4]) if len(args) > 4 else 60
people = int(args[5]) if len(args) > 5 else 1
panel = len(args) > 6 and args[6] == "panel"  # the sidebar's Uplift tab open (Blender run with --enable-event-simulate)

bpy.ops.extensions.package_install_files(filepath=zip_path, repo="user_default", enable_on_install=True)
video_mod = __import__("bl_ext.user_default.pose_uplift.addon.video", fromlist=["detections_path"])
shutil.copy(keypoints, video_mod.detections_path(video, people=people))
for obj in list(bpy.data.objects):
    bpy.data.objects.remove(obj)
assert bpy.ops.pose_uplift.import_video(filepath=video, people=people) == {"FINISHED"}
scene = bpy.context.scene
scene.frame_set(frame)


def shoot() -> None:
    window = bpy.context.window_manager.windows[0]
    area = max((a for a in window.screen.areas if a.type == "VIEW_3D"), key=lambda a: a.width * a.height)
    space = area.spaces.active
    space.region_3d.view_perspective = "CAMERA"
    space.shading.type = "SOLID"
    space.overlay.show_floor = False
    space.show_region_ui = panel
    region = next(r for r in area.regions if r.type == "WINDOW")
    with bpy.context.temp_override(window=window, area=area, region=region):
        bpy.ops.view3d.view_center_camera()
    if panel:
        bpy.app.timers.register(pick_tab, first_interval=1.0)
    bpy.app.timers.register(save, first_interval=2.0)


def pick_tab() -> None:
    """The sidebar's Uplift tab, once the sidebar has been drawn: set from Python where Blender allows it, else
    clicked."""
    window = bpy.context.window_manager.windows[0]
    area = max((a for a in window.screen.areas if a.type == "VIEW_3D"), key=lambda a: a.width * a.height)
    ui = next(r for r in area.regions if r.type == "UI")
    window.event_simulate(type="ESC", value="PRESS")  # the splash screen, where it shows, closed
    window.event_simulate(type="ESC", value="RELEASE")
    try:
        ui.active_panel_category = "Uplift"
        ui.tag_redraw()
    except (AttributeError, TypeError):
        click_tab()


def click_tab() -> None:
    """A simulated click on the sidebar's Uplift tab (tabs run down the sidebar's right edge), for Blenders where
    Python cannot pick one: about 234 px below the sidebar's top in a 1600 x 1000 window with Item, Tool, View and Animation above it."""
    window = bpy.context.window_manager.windows[0]
    area = max((a for a in window.screen.areas if a.type == "VIEW_3D"), key=lambda a: a.width * a.height)
    ui = next(r for r in area.regions if r.type == "UI")
    x, y = ui.x + ui.width - 10, ui.y + ui.height - 234
    window.event_simulate(type="MOUSEMOVE", value="NOTHING", x=x, y=y)
    window.event_simulate(type="LEFTMOUSE", value="PRESS", x=x, y=y)
    window.event_simulate(type="LEFTMOUSE", value="RELEASE", x=x, y=y)


def save() -> None:
    if out == "-":  # the window stays open for a screenshot taken from outside (xwd: Blender's own reads black
        return  # under some software OpenGL drivers)
    window = bpy.context.window_manager.windows[0]
    with bpy.context.temp_override(window=window, screen=window.screen):
        bpy.ops.wm.redraw_timer(type="DRAW_WIN_SWAP", iterations=2)
        bpy.ops.screen.screenshot(filepath=out)
        bpy.ops.wm.quit_blender()


def first() -> None:
    shoot()


bpy.app.timers.register(first, first_interval=2.0)
