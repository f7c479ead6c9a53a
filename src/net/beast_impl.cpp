// Boost.Asio, Asio.SSL and Beast are compiled here, once, instead of in every translation unit that
// includes them (BOOST_*_SEPARATE_COMPILATION is set project-wide). This keeps incremental builds fast.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
