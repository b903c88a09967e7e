"""What only training and evaluation need: synthetic motion, cameras and detector models, metrics and baselines.

Left out of the extension zip (``blender_manifest.toml``): the extension itself never imports it.
"""
