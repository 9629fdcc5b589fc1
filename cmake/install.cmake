# `cmake --install build --prefix DIR` and `cpack -G DEB`: a relocatable tree (nothing in
# it names the prefix; prs_mpi finds its worker, the sbatch scripts their launcher, the
# modulefiles their prefix, all from where they lie).
include(GNUInstallDirs)

install(TARGETS prs_mpi RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS prs_mpi_worker RUNTIME DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/prs_mpi)
install(PROGRAMS slurm/prs_mpi_launch.sh slurm/prs_mpi_cpu.sbatch slurm/prs_mpi_gpu.sbatch
        DESTINATION ${CMAKE_INSTALL_DATADIR}/prs_mpi/slurm)
install(DIRECTORY scripts/example/ DESTINATION ${CMAKE_INSTALL_DATADIR}/prs_mpi/examples/word_count
        PATTERN __pycache__ EXCLUDE)
install(DIRECTORY python/ DESTINATION ${CMAKE_INSTALL_DATADIR}/prs_mpi/python
        FILES_MATCHING PATTERN "*.py" PATTERN "__pycache__" EXCLUDE)
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES packaging/bash-completion/prs_mpi DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)

# The man page is the real --help and --version, regenerated whenever prs_mpi changes.
find_program(HELP2MAN help2man REQUIRED)
set(PRS_MAN_PAGE ${CMAKE_CURRENT_BINARY_DIR}/man/prs_mpi.1)
add_custom_command(OUTPUT ${PRS_MAN_PAGE}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_CURRENT_BINARY_DIR}/man
  COMMAND ${HELP2MAN} --no-info --section=1 --name "run Azure ML parallel jobs on MPI clusters and Slurm"
          --include=${CMAKE_CURRENT_SOURCE_DIR}/packaging/prs_mpi.h2m --output=${PRS_MAN_PAGE} $<TARGET_FILE:prs_mpi>
  DEPENDS prs_mpi prs_mpi_worker ${CMAKE_CURRENT_SOURCE_DIR}/packaging/prs_mpi.h2m
  COMMENT "Generating the prs_mpi(1) man page from --help")
add_custom_target(prs_man_page ALL DEPENDS ${PRS_MAN_PAGE})
install(FILES ${PRS_MAN_PAGE} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

# Lmod (Lua) and Environment Modules (Tcl) modulefiles: module load prs_mpi/<version>.
foreach(kind lua tcl)
  configure_file(packaging/modulefiles/prs_mpi.${kind}.in ${CMAKE_CURRENT_BINARY_DIR}/modulefiles/${kind}/${PROJECT_VERSION} @ONLY)
endforeach()
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/modulefiles/lua/${PROJECT_VERSION}
        DESTINATION ${CMAKE_INSTALL_DATADIR}/modulefiles/prs_mpi RENAME ${PROJECT_VERSION}.lua)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/modulefiles/tcl/${PROJECT_VERSION}
        DESTINATION ${CMAKE_INSTALL_DATADIR}/modulefiles/prs_mpi)

# The Debian package: runtime dependencies from dpkg-shlibdeps plus what the workers and
# the launchers need at run time; debug info goes to a separate -dbgsym package
# (dpkg-shlibdeps and `file` do the work: build-essential and file in install-deps.sh).
set(CPACK_PACKAGE_NAME prs-mpi)
set(CPACK_PACKAGE_VENDOR "prs_mpi developers")
set(CPACK_PACKAGE_CONTACT "prs_mpi developers <prs-mpi@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Run Azure ML parallel jobs (ParallelRunStep) on MPI clusters and Slurm")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_GENERATOR DEB)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "openmpi-bin, python3-numpy, python3-pandas")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "libjs-chart.js")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "slurm-client, lmod | environment-modules")
# Splits the debug info out and strips the binaries itself (so CPACK_STRIP_FILES stays off).
set(CPACK_DEBIAN_DEBUGINFO_PACKAGE ON)
include(CPack)
