# `cmake --install`: libcoil, its headers, the `coil` tool, a pkg-config
# file and a CMake package (find_package(Coil) -> Coil::coil,
# Coil::coil_tool, coil_add_interface()). Everything is relocatable: the
# package and coil.pc find the prefix from their own location, and the tool
# finds libcoil relative to itself.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(COIL_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/Coil)

set_target_properties(coil_cli PROPERTIES EXPORT_NAME coil_tool)
if(NOT IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" AND NOT IS_ABSOLUTE "${CMAKE_INSTALL_BINDIR}")
  file(RELATIVE_PATH _coil_bin_to_lib "/${CMAKE_INSTALL_BINDIR}" "/${CMAKE_INSTALL_LIBDIR}")
  set_target_properties(coil_cli PROPERTIES INSTALL_RPATH "$ORIGIN/${_coil_bin_to_lib}")
endif()

install(TARGETS coil coil_cli EXPORT CoilTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/coil DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")

install(EXPORT CoilTargets NAMESPACE Coil:: DESTINATION ${COIL_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/CoilConfig.cmake.in
  ${PROJECT_BINARY_DIR}/CoilConfig.cmake INSTALL_DESTINATION ${COIL_CMAKE_DIR})
# 0.x: a new minor version may break the API.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/CoilConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/CoilConfig.cmake ${PROJECT_BINARY_DIR}/CoilConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/CoilInterface.cmake DESTINATION ${COIL_CMAKE_DIR})

# coil.pc: paths relative to the file's own directory (${pcfiledir}).
foreach(_coil_dir INCLUDEDIR LIBDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${_coil_dir}}")
    set(COIL_PC_${_coil_dir} "${CMAKE_INSTALL_${_coil_dir}}")
  else()
    file(RELATIVE_PATH _coil_rel "/${CMAKE_INSTALL_LIBDIR}/pkgconfig"
         "/${CMAKE_INSTALL_${_coil_dir}}")
    string(REGEX REPLACE "/$" "" _coil_rel "${_coil_rel}")
    set(COIL_PC_${_coil_dir} "\${pcfiledir}/${_coil_rel}")
  endif()
endforeach()
configure_file(${PROJECT_SOURCE_DIR}/cmake/coil.pc.in ${PROJECT_BINARY_DIR}/coil.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/coil.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
