#!/usr/bin/env bash
# Rebuilds the import test fixtures in tests/data/import/ with GDAL's ogr2ogr (gdal-bin 3.6).
# The files are committed; run this only to change them. Sources are the GeoJSON files written
# below (WGS84, UTF-8); GDAL writes the GBK shapefile, the Gauss-Krüger ones and the GeoPackage.
set -euo pipefail
cd "$(dirname "$0")/../tests/data/import"
rm -f parts_gbk.* parts_gk.* parts_cm.* parts.gpkg
python3 - <<'PY'
import json
def feature(code, name, state, unit, date, geometry):
    return {"type": "Feature", "properties": {"BJBM": code, "MC": name, "ZT": state, "QSDW": unit, "CSRQ": date}, "geometry": geometry}
lamps = [
    feature("3410040118900001", "岩寺路灯一号", "完好", "区城管局路灯所", "2019/05/01", {"type": "Point", "coordinates": [118.3301, 29.8402]}),
    feature("3410040118900002", "岩寺路灯二号", "破损", "CGJ-LD", "2020/06/15", {"type": "Point", "coordinates": [118.3312, 29.8411]}),
    feature("3410040101900003", "上水井盖（歙县路）", "完好", "徽州区供水公司", None, {"type": "Point", "coordinates": [118.3323, 29.8385]}),
]
pipes = [feature("3410040151900004", "给水管线甲", "完好", "GSGS", "2018/01/20", {"type": "LineString", "coordinates": [[118.329, 29.839], [118.331, 29.8395], [118.333, 29.840]]})]
parks = [feature("3410040201900005", "佛子岭停车场", "完好", "CGJ", "2021/03/03", {"type": "Polygon", "coordinates": [[[118.334, 29.842], [118.335, 29.842], [118.335, 29.843], [118.334, 29.843], [118.334, 29.842]]]})]
def collection(features):
    return {"type": "FeatureCollection", "features": features}
json.dump(collection(lamps + pipes + parks), open("parts.geojson", "w"), ensure_ascii=False, indent=1)
json.dump(collection(lamps), open("lamps.geojson", "w"), ensure_ascii=False, indent=1)
json.dump(collection(parks), open("parks.geojson", "w"), ensure_ascii=False, indent=1)
zones = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"KIND": "责任区", "CODE": "ZONE-LD-01", "NAME": "路灯所责任区一", "OWNER": "CGJ-LD", "VALID_FROM": "2026-01-01"},
     "geometry": {"type": "Polygon", "coordinates": [[[118.32, 29.83], [118.34, 29.83], [118.34, 29.85], [118.32, 29.85], [118.32, 29.83]]]}},
    {"type": "Feature", "properties": {"KIND": "unit_zone", "CODE": "ZONE-YL-02", "NAME": "园林所责任区二", "OWNER": "区城管局园林所", "VALID_FROM": "2026-02-01"},
     "geometry": {"type": "MultiPolygon", "coordinates": [[[[118.30, 29.82], [118.31, 29.82], [118.31, 29.83], [118.30, 29.82]]]]}}]}
json.dump(zones, open("zones.geojson", "w"), ensure_ascii=False, indent=1)
PY
ogr2ogr -f "ESRI Shapefile" -lco ENCODING=CP936 -a_srs EPSG:4490 parts_gbk.shp lamps.geojson
ogr2ogr -f "ESRI Shapefile" -lco ENCODING=UTF-8 -t_srs EPSG:4527 parts_gk.shp lamps.geojson
ogr2ogr -f "ESRI Shapefile" -lco ENCODING=UTF-8 -t_srs EPSG:4548 parts_cm.shp parks.geojson
ogr2ogr -f GPKG -a_srs EPSG:4490 -nln lamps parts.gpkg lamps.geojson
ogr2ogr -f GPKG -update -t_srs EPSG:4527 -nln parks parts.gpkg parks.geojson
rm -f lamps.geojson parks.geojson
printf '\xef\xbb\xbf案卷编号,来源,小类编码,问题描述,上报时间,状态,结案时间,经度,纬度\n' > cases.csv
cat >> cases.csv <<'CSV'
2026110100001,12345,0101,暴露垃圾堆放,2026-11-01 08:30:00,结案,2026-11-01 15:00:00,118.3301,29.8402
2026110100002,city_platform,0103,道路不洁,2026-11-02 09:00,reported,,118.3312,29.8411
CSV
iconv -f UTF-8 -t GBK <(tail -c +4 cases.csv) > cases_gbk.csv
