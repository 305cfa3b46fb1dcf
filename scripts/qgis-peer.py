#!/usr/bin/python3
"""QGIS as the peer of `citygrid bench map`: renders the same views (Web Mercator, centred on
the demo's core, zooms 11-19, 1920x1080 and 3840x2160) of the three part layers of a citygrid
GeoPackage with QGIS's default symbols, and prints the time of each render (cold, then warm)."""
import os, sys, time
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from qgis.core import (QgsApplication, QgsVectorLayer, QgsCoordinateReferenceSystem, QgsCoordinateTransform,
                       QgsProject, QgsPointXY, QgsRectangle, QgsMapSettings, QgsMapRendererParallelJob, Qgis)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor

app = QgsApplication([], False)
app.setPrefixPath("/usr", True)
app.initQgis()
path, lon, lat = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
layers = [QgsVectorLayer(f"{path}|layername={name}", name, "ogr") for name in ["part_polygons", "part_lines", "part_points"]]
for layer in layers:
    assert layer.isValid(), layer.name()
mercator = QgsCoordinateReferenceSystem("EPSG:3857")
to_mercator = QgsCoordinateTransform(QgsCoordinateReferenceSystem("EPSG:4326"), mercator, QgsProject.instance())
centre = to_mercator.transform(QgsPointXY(lon, lat))
print(f"QGIS {Qgis.version()}, {sum(layer.featureCount() for layer in layers)} parts")
print("      size  zoom   cold ms   warm ms (median of 3)")
for width, height in [(1920, 1080), (3840, 2160)]:
    for zoom in [11, 13, 15, 17, 19]:
        metres_per_pixel = 40075016.686 / (256 * 2 ** zoom)
        extent = QgsRectangle(centre.x() - width / 2 * metres_per_pixel, centre.y() - height / 2 * metres_per_pixel,
                              centre.x() + width / 2 * metres_per_pixel, centre.y() + height / 2 * metres_per_pixel)
        settings = QgsMapSettings()
        settings.setLayers(layers)
        settings.setDestinationCrs(mercator)
        settings.setOutputSize(QSize(width, height))
        settings.setExtent(extent)
        settings.setBackgroundColor(QColor(255, 255, 255))
        times = []
        for _ in range(4):
            job = QgsMapRendererParallelJob(settings)
            started = time.perf_counter()
            job.start()
            job.waitForFinished()
            times.append((time.perf_counter() - started) * 1000)
        warm = sorted(times[1:])[1]
        print(f"{width:>5}x{height:<5} {zoom:>4} {times[0]:>9.0f} {warm:>9.0f}")
app.exitQgis()
