# Default configuration for qemu-system-ppc64: every part on.
# Turn a part off with CONFIG_X=n (meson setup -Ddevices=FILE to use another file).
CONFIG_PSERIES=y
CONFIG_SPAPR_TCE_IOMMU=y
CONFIG_VFIO=y
CONFIG_SPAPR_VFIO_PHB=y
CONFIG_VFIO_IOMMU_SPAPR_TCE_V2=y
CONFIG_VFIO_IOMMU_TYPE1=y
CONFIG_VFIO_SIM=y
CONFIG_EDU=y
CONFIG_QTEST=y
