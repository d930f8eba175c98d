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
# The [hub] extra is JupyterHub, kubespawner and kubernetes_asyncio, all of which
# the hub image already has: pip keeps them and adds only jupyterhub-fpga.
RUN pip install --no-cache-dir "jupyterhub-fpga[hub]"
# Until jupyterhub-fpga is on your package index, install a wheel instead:
#   COPY jupyterhub_fpga-0.1.0-py3-none-any.whl /tmp/
#   RUN pip install --no-cache-dir "/tmp/jupyterhub_fpga-0.1.0-py3-none-any.whl[hub]"
USER 1000
