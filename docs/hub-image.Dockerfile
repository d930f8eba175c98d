# The zero-to-jupyterhub hub image with jupyterhub-fpga's hub side (FPGASpawner).
#
#   docker build -f docs/hub-image.Dockerfile -t registry.example.org/k8s-hub-fpga:4.2.0-fpga0.1.0 .
#   docker push registry.example.org/k8s-hub-fpga:4.2.0-fpga0.1.0
#
# then set hub.image (zero-to-jupyterhub) or jupyterhub.hub.image (BinderHub) to
# it. Keep K8S_HUB_VERSION equal to the chart version you deploy: the chart and
# its hub image are released together.
ARG K8S_HUB_VERSION=4.2.0
FROM quay.io/jupyterhub/k8s-hub:${K8S_HUB_VERSION}

# The image runs as the unprivileged user 1000; its Python is system-wide.
USER root
# The [hub] extra asks for jupyterhub>=5.3, jupyterhub-kubespawner>=7.0,<8 and
# kubernetes_asyncio>=26. The 4.2.0 hub image pins jupyterhub 5.3.0, kubespawner
# 7.0.0 and kubernetes_asyncio 32.3.0, which satisfy them. The image's own pins
# are passed as constraints, so pip adds jupyterhub-fpga and replaces none of
# them; if a future release ever needed a newer one, the build fails here
# instead of quietly changing the hub the chart was tested with.
RUN pip list --format=freeze > /tmp/k8s-hub-pins.txt \
 && pip install --no-cache-dir --constraint /tmp/k8s-hub-pins.txt "jupyterhub-fpga[hub]" \
 && rm /tmp/k8s-hub-pins.txt
# Until jupyterhub-fpga is on your package index, install a wheel instead:
#   COPY jupyterhub_fpga-0.1.0-py3-none-any.whl /tmp/
#   RUN pip list --format=freeze > /tmp/k8s-hub-pins.txt \
#    && pip install --no-cache-dir --constraint /tmp/k8s-hub-pins.txt \
#       "/tmp/jupyterhub_fpga-0.1.0-py3-none-any.whl[hub]"
USER 1000
